package dev.privport.nft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privport.core.PlanFile;
import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The comparison on libnftables 1.0.6's own JSON, as it listed {@code RedirectPlan.of(80, 8080)}
 * (captured from a namespace), and on the broken output it prints for table flags. No root needed;
 * {@link NftDriftTest} makes each drift on the kernel.
 */
class NftInspectorTest {
  static final RedirectPlan PLAN = RedirectPlan.of(80, 8080);

  static final String TABLE =
      "{\"table\": {\"family\": \"inet\", \"name\": \"privport\", \"handle\": 25}}";
  static final String REST =
      "{\"chain\": {\"family\": \"inet\", \"table\": \"privport\", \"name\": \"incoming\", \"handle\":"
          + " 1, \"type\": \"nat\", \"hook\": \"prerouting\", \"prio\": -100, \"policy\": \"accept\"}},"
          + " {\"chain\": {\"family\": \"inet\", \"table\": \"privport\", \"name\": \"local\","
          + " \"handle\": 2, \"type\": \"nat\", \"hook\": \"output\", \"prio\": -100, \"policy\":"
          + " \"accept\"}}, {\"rule\": {\"family\": \"inet\", \"table\": \"privport\", \"chain\":"
          + " \"incoming\", \"handle\": 3, \"comment\": \"tcp 80 -> 8080\", \"expr\": [{\"match\":"
          + " {\"op\": \"==\", \"left\": {\"fib\": {\"result\": \"type\", \"flags\": [\"daddr\"]}},"
          + " \"right\": \"local\"}}, {\"match\": {\"op\": \"==\", \"left\": {\"payload\":"
          + " {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 80}}, {\"counter\":"
          + " {\"packets\": 7, \"bytes\": 420}}, {\"redirect\": {\"port\": 8080}}]}}, {\"rule\":"
          + " {\"family\": \"inet\", \"table\": \"privport\", \"chain\": \"local\", \"handle\": 4,"
          + " \"comment\": \"tcp 80 -> 8080\", \"expr\": [{\"match\": {\"op\": \"==\", \"left\":"
          + " {\"meta\": {\"key\": \"oifname\"}}, \"right\": \"lo\"}}, {\"match\": {\"op\": \"==\","
          + " \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\":"
          + " 80}}, {\"counter\": {\"packets\": 0, \"bytes\": 0}}, {\"redirect\": {\"port\":"
          + " 8080}}]}}";

  static String listing(String table, String... more) {
    StringBuilder s =
        new StringBuilder(
            "{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\", \"release_name\": \"Lester"
                + " Gooch #5\", \"json_schema_version\": 1}}, ");
    s.append(table).append(", ").append(REST);
    for (String m : more) {
      s.append(", ").append(m);
    }
    return s.append("]}").toString();
  }

  @Test
  void theListingOfTheAppliedPlanIsInSyncWithItsCounters() {
    PlanStatus status = NftInspector.inspect(PLAN, listing(TABLE));
    assertThat(status.differences()).isEmpty();
    assertThat(status.inSync()).isTrue();
    assertThat(status.live()).hasSize(2).allMatch(LiveRule::recognised);
    assertThat(status.find(PLAN.rules().get(0)).orElseThrow().packets()).isEqualTo(7);
    assertThat(status.find(PLAN.rules().get(0)).orElseThrow().bytes()).isEqualTo(420);
  }

  @Test
  void aSingleTableFlagThatLibnftablesPrintsAsGarbageIsReadFromTheTextListing() {
    // libnftables 1.0.6 prints one table flag from freed memory: here, the table's name.
    String garbage = TABLE.replace("25}", "25, \"flags\": \"privport\"}");
    PlanStatus status =
        NftInspector.inspect(
            PLAN, listing(garbage), () -> "table inet privport {\n\tflags dormant\n\n\tchain x {");
    assertThat(status.differences())
        .extracting(Difference::line)
        .containsExactly("table: flags dormant, plan says none");
    String array = TABLE.replace("25}", "25, \"flags\": [\"dormant\", \"owner\"]}");
    assertThat(NftInspector.inspect(PLAN, listing(array)).differences())
        .extracting(Difference::line)
        .containsExactly("table: flags dormant,owner, plan says none");
  }

  @Test
  void freedMemoryThatBreaksTheJsonOfAFlaggedTableIsStillReadAsThatFlag() {
    // Seen in CI-like runs: the freed bytes printed as the flags value are not even a JSON string.
    for (String bytes : List.of("\"pri\u0001\"vport", "}{\"x", "\"\\", "privport\"]}")) {
      String broken = TABLE.replace("25}", "25, \"flags\": " + bytes + "}");
      PlanStatus status =
          NftInspector.inspect(
              PLAN, listing(broken), () -> "table inet privport {\n\tflags dormant\n\n\tchain x {");
      assertThat(status.differences())
          .extracting(Difference::line)
          .as(bytes)
          .containsExactly("table: flags dormant, plan says none");
    }
  }

  @Test
  void unknownObjectsInTheTableAreDifferences() {
    PlanStatus status =
        NftInspector.inspect(
            PLAN,
            listing(
                TABLE,
                "{\"flowtable\": {\"family\": \"inet\", \"name\": \"ft\", \"table\": \"privport\"}}",
                "{\"counter\": {\"family\": \"inet\", \"name\": \"c\", \"table\": \"privport\"}}"));
    assertThat(status.differences())
        .extracting(Difference::line)
        .containsExactly("table: flowtable ft not in the plan", "table: counter c not in the plan");
    assertThat(status.inSync()).isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"nftables\": [{\"table\": {\"family\": \"inet\", \"name\": \"privport\", \"flags\": ",
        "{\"nftables\": [{\"table\": {\"family\": \"inet\", \"name\": \"privport\"}}]} trailing",
        "{nftables: []}",
        "{\"nftables\": [{'table': {}}]}",
        "",
        "{\"other\": []}"
      })
  void malformedJsonIsALibnftablesFailureNotBadInput(String json) {
    assertThatThrownBy(
            () -> NftInspector.inspect(PLAN, json, () -> "table inet privport {\n\tflags owner\n}"))
        .isInstanceOfSatisfying(
            NftablesException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(NftablesException.Reason.MALFORMED_OUTPUT);
              assertThat(e.getMessage())
                  .startsWith("libnftables printed malformed JSON for table inet privport (")
                  .contains("the table has flags owner")
                  .doesNotContain("\n");
            });
  }

  @Test
  void theFlagsHintIsLeftOutWhenTheTextListingFails() {
    assertThatThrownBy(
            () ->
                NftInspector.inspect(
                    PLAN,
                    "{",
                    () -> {
                      throw new NftablesException(NftablesException.Reason.NOT_FOUND, "gone");
                    }))
        .isInstanceOf(NftablesException.class)
        .hasMessageStartingWith("libnftables printed malformed JSON for table inet privport (")
        .hasMessageNotContaining("flags");
  }

  /** libnftables 1.0.6's listing of {@link #MAPPED}: one map of 10 elements, captured. */
  static final String MAPPED_LISTING =
      "{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\", \"release_name\": \"Lester Gooch"
          + " #5\", \"json_schema_version\": 1}}, {\"table\": {\"family\": \"inet\", \"name\":"
          + " \"privport-m\", \"handle\": 9}}, {\"map\": {\"family\": \"inet\", \"name\":"
          + " \"incoming_tcp\", \"table\": \"privport-m\", \"type\": \"inet_service\", \"handle\":"
          + " 2, \"map\": \"inet_service\", \"elem\": [[1000, 2000], [1001, 2001], [1002, 2002], [1003,"
          + " 2003], [1004, 2004], [1005, 2005], [1006, 2006], [1007, 2007], [1008, 2008], [1009,"
          + " 2009]]}}, {\"chain\": {\"family\": \"inet\", \"table\": \"privport-m\", \"name\":"
          + " \"incoming\", \"handle\": 1, \"type\": \"nat\", \"hook\": \"prerouting\", \"prio\":"
          + " -100, \"policy\": \"accept\"}}, {\"rule\": {\"family\": \"inet\", \"table\":"
          + " \"privport-m\", \"chain\": \"incoming\", \"handle\": 3, \"comment\": \"10 redirects\","
          + " \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"fib\": {\"result\": \"type\","
          + " \"flags\": [\"daddr\"]}}, \"right\": \"local\"}}, {\"match\": {\"op\": \"==\","
          + " \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\":"
          + " \"@incoming_tcp\"}}, {\"counter\": {\"packets\": 5, \"bytes\": 300}}, {\"redirect\":"
          + " {\"port\": {\"map\": {\"key\": {\"payload\": {\"protocol\": \"tcp\", \"field\":"
          + " \"dport\"}}, \"data\": \"@incoming_tcp\"}}}}]}}]}";

  static final RedirectPlan MAPPED = PlanFile.parse("name m\n1000-1009:2000/tcp incoming-only\n");

  /**
   * The listing is read as a stream when it has libnftables' shape, as a tree otherwise; both must
   * give the same status, drift or not. A key before {@code nftables} makes the stream decline, so
   * each listing is compared with itself read as a tree.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "[1003, 2003]=[1003, 2999]",
        "[1009, 2009]=[1009, 2009], [1010, 2010]",
        ", [1005, 2005]=",
        "[1000, 2000], =",
        "\"elem\": [=\"flags\": [\"interval\"], \"elem\": [",
        "[1004, 2004]=[1004, \"x\"]",
        "[1004, 2004]=[1004, 2004, 1]",
        "[1004, 2004]=[1004]",
        "[1004, 2004]={\"elem\": {\"val\": 1004}}",
        "[1006, 2006]=[1006, 70000]",
        "[1006, 2006]=[1006, -1]",
        "[1006, 2006]=[1006, 2006.0]",
        "\"elem\": [[1000, 2000], =\"elem\": 5, \"x\": [[1000, 2000], ",
        "\"elem\": [=\"elem\": [[1, 2]], \"elem\": [",
        "\"incoming_tcp\", \"table\"=\"extra\", \"table\"",
        "{\"map\": {={\"set\": {\"family\": \"inet\", \"name\": \"s\", \"elem\": [80, 443]}}, {\"map\": {",
        "{\"map\": {={\"map\": 3}, {\"map\": {",
        "{\"map\": {={\"map\": {}, \"set\": {}}, {}, [], {\"map\": {",
        "{\"rule\": {="
            + "{\"rule\": {\"chain\": \"incoming\", \"handle\": 4, \"comment\": \"10 redirects\","
            + " \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"fib\": {\"result\": \"type\","
            + " \"flags\": [\"daddr\"]}}, \"right\": \"local\"}}, {\"match\": {\"op\": \"==\","
            + " \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\":"
            + " \"@incoming_tcp\"}}, {\"counter\": {\"packets\": 1, \"bytes\": 60}}, {\"redirect\":"
            + " {\"port\": {\"map\": {\"key\": {\"payload\": {\"protocol\": \"tcp\", \"field\":"
            + " \"dport\"}}, \"data\": \"@incoming_tcp\"}}}}]}}, {\"rule\": {"
      })
  void aListingReadAsAStreamGivesTheSameStatusAsReadAsATree(String change) {
    String json = MAPPED_LISTING;
    if (!change.isEmpty()) {
      String[] from = change.split("=", 2);
      assertThat(json).contains(from[0]);
      int at = json.indexOf(from[0]); // the first occurrence only
      json = json.substring(0, at) + from[1] + json.substring(at + from[0].length());
    }
    String tree = "{\"first\": 0, " + json.substring(1);
    assertThat(NftInspector.readsAsStream(tree)).isFalse();
    PlanStatus streamed = NftInspector.inspect(MAPPED, json);
    PlanStatus read = NftInspector.inspect(MAPPED, tree);
    assertThat(streamed.differences()).isEqualTo(read.differences());
    assertThat(streamed).isEqualTo(read);
    for (RedirectRule r : MAPPED.rules()) {
      assertThat(streamed.find(r)).isEqualTo(read.find(r));
    }
  }

  @Test
  void libnftablesListingsOfPortPairsAreReadAsAStream() {
    assertThat(NftInspector.readsAsStream(MAPPED_LISTING)).isTrue();
    assertThat(NftInspector.readsAsStream(listing(TABLE))).isTrue();
    PlanStatus status = NftInspector.inspect(MAPPED, MAPPED_LISTING);
    assertThat(status.inSync()).isTrue();
    assertThat(status.find(MAPPED.rules().get(9)).orElseThrow().packets()).isEqualTo(5);
    assertThat(
            NftInspector.inspect(MAPPED, MAPPED_LISTING.replace("[1003, 2003]", "[1003, 2999]"))
                .differences())
        .extracting(Difference::line)
        .containsExactly("map incoming_tcp: element 1003 : 2999, plan says 1003 : 2003");
  }

  @Test
  void aDifferenceIsAlwaysOneLine() {
    Difference d = new Difference("chain x\ny", "rule\r\n(handle 1)\u0007");
    assertThat(d.line()).isEqualTo("chain x\\u000ay: rule\\u000d\\u000a(handle 1)\\u0007");
    assertThat(new Difference("table", "flags dormant").line()).isEqualTo("table: flags dormant");
  }
}
