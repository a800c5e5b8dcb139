package dev.privport.nft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import org.junit.jupiter.api.Test;

class NftRendererTest {
  @Test
  void rendersTheOneLinerExactly() {
    assertThat(RedirectPlan.of(80, 8080).toNft()).isEqualTo("""
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
    String text = RedirectPlan.builder()
        .name("syslog")
        .add(Redirect.udp(514, 5514).ipv4Only().incomingOnly().onInterface("eth+"))
        .add(Redirect.udp(162, 1162).ipv6Only().localOnly())
        .build()
        .toNft();
    assertThat(text)
        .contains("table inet privport-syslog {")
        .contains("\t\tiifname \"eth*\" meta nfproto ipv4 fib daddr type local udp dport 514 counter redirect to :5514")
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
  void removalTouchesOnlyThePlansTable() {
    assertThat(new NftRenderer().renderRemoval(RedirectPlan.builder().name("web").tcp(80, 8080).build()))
        .isEqualTo("""
            # Removes privport plan "privport-web": table inet privport-web and nothing else.
            table inet privport-web
            delete table inet privport-web
            """);
  }
}
