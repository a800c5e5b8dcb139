package dev.privport.nft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privport.core.RedirectPlan;
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

  @Test
  void aDifferenceIsAlwaysOneLine() {
    Difference d = new Difference("chain x\ny", "rule\r\n(handle 1)\u0007");
    assertThat(d.line()).isEqualTo("chain x\\u000ay: rule\\u000d\\u000a(handle 1)\\u0007");
    assertThat(new Difference("table", "flags dormant").line()).isEqualTo("table: flags dormant");
  }
}
