package dev.privport.nft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import org.junit.jupiter.api.Test;

class NftRendererTest {
  @Test
  void rendersTheOneLinerExactly() {
    assertThat(RedirectPlan.of(80, 8080).toNft())
        .isEqualTo(
            """
        # privport plan "privport": 1 redirect, rendered by privport.
        # Apply: nft -f FILE (replaces table inet privport in one transaction; no other table is touched).
        # Remove: nft delete table inet privport
        table inet privport
        delete table inet privport
        table inet privport {
        	chain incoming {
        		type nat hook prerouting priority -100; policy accept;
        		fib daddr type local tcp dport 80 counter redirect to :8080 comment "tcp 80 -> 8080"
        	}

        	chain local {
        		type nat hook output priority -100; policy accept;
        		oifname "lo" tcp dport 80 counter redirect to :8080 comment "tcp 80 -> 8080"
        	}
        }
        """);
  }

  @Test
  void familyInterfaceAndScopeQualifiersAppearOnlyWhereNeeded() {
    String text =
        RedirectPlan.builder()
            .name("syslog")
            .add(Redirect.udp(514, 5514).ipv4Only().incomingOnly().onInterface("eth+"))
            .add(Redirect.udp(162, 1162).ipv6Only().localOnly())
            .build()
            .toNft();
    assertThat(text)
        .contains("table inet privport-syslog {")
        .contains(
            "\t\tiifname \"eth*\" meta nfproto ipv4 fib daddr type local udp dport 514 counter redirect to :5514")
        .contains("\t\toifname \"lo\" meta nfproto ipv6 udp dport 162 counter redirect to :1162");
  }

  @Test
  void chainsWithoutRulesAreLeftOut() {
    String text = RedirectPlan.of(Redirect.tcp(80, 8080).localOnly()).toNft();
    assertThat(text).contains("chain local").doesNotContain("chain incoming");
  }

  @Test
  void sameIntentSameBytes() {
    RedirectPlan a = RedirectPlan.builder().tcp(443, 8443).udp(514, 5514).tcp(80, 8080).build();
    RedirectPlan b = RedirectPlan.builder().udp(514, 5514).tcp(80, 8080).tcp(443, 8443).build();
    assertThat(a.toNft()).isEqualTo(a.toNft()).isEqualTo(b.toNft());
  }

  @Test
  void largeGroupsBecomeOneRuleWithANamedMap() {
    RedirectPlan plan =
        RedirectPlan.builder()
            .add(Redirect.udp(514, 5514).incomingOnly())
            .addAll(
                Redirect.range(dev.privport.core.Protocol.TCP, 1000, 1009, 9000).stream()
                    .map(Redirect::incomingOnly)
                    .toList())
            .build();
    assertThat(plan.toNft())
        .isEqualTo(
            """
        # privport plan "privport": 11 redirects, rendered by privport.
        # Apply: nft -f FILE (replaces table inet privport in one transaction; no other table is touched).
        # Remove: nft delete table inet privport
        # UDP flows that began before an apply or a remove keep their old path until cleared:
        #   conntrack -D -p udp --orig-port-dst PORT   (PORT: 514)
        table inet privport
        delete table inet privport
        table inet privport {
        	map incoming_tcp {
        		type inet_service : inet_service
        		elements = { 1000 : 9000, 1001 : 9001, 1002 : 9002, 1003 : 9003, 1004 : 9004, 1005 : 9005, 1006 : 9006, 1007 : 9007,
        			     1008 : 9008, 1009 : 9009 }
        	}

        	chain incoming {
        		type nat hook prerouting priority -100; policy accept;
        		fib daddr type local tcp dport @incoming_tcp counter redirect to :tcp dport map @incoming_tcp comment "10 redirects"
        		fib daddr type local udp dport 514 counter redirect to :5514 comment "udp 514 -> 5514"
        	}
        }
        """);
  }

  @Test
  void theCutIsEightRedirectsAGroup() {
    RedirectPlan seven = RedirectPlan.builder().tcpRange(1000, 1006, 2000).build();
    RedirectPlan eight = RedirectPlan.builder().tcpRange(1000, 1007, 2000).build();
    assertThat(seven.toNft())
        .doesNotContain("map ")
        .contains("tcp dport 1006 counter redirect to :2006");
    assertThat(eight.toNft()).contains("map incoming_tcp {").contains("map local_tcp {");
  }

  @Test
  void mapNamesSayScopeProtocolFamilyAndInterface() {
    RedirectPlan plan =
        RedirectPlan.builder()
            .addAll(
                Redirect.range(dev.privport.core.Protocol.UDP, 1000, 1009, 2000).stream()
                    .map(r -> r.ipv6Only().incomingOnly().onInterface("eth+"))
                    .toList())
            .build();
    assertThat(plan.toNft())
        .contains("map incoming_udp_ipv6_via_eth/all {")
        .contains(
            "iifname \"eth*\" meta nfproto ipv6 fib daddr type local udp dport @incoming_udp_ipv6_via_eth/all counter");
  }

  @Test
  void removalTouchesOnlyThePlansTable() {
    assertThat(
            new NftRenderer()
                .renderRemoval(RedirectPlan.builder().name("web").tcp(80, 8080).build()))
        .isEqualTo(
            """
            # Removes privport plan "privport-web": table inet privport-web and nothing else.
            table inet privport-web
            delete table inet privport-web
            """);
  }
}
