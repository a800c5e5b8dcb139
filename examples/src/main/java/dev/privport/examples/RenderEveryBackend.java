package dev.privport.examples;

import dev.privport.core.RedirectPlan;

/**
 * Example: one intent, every backend. Run: {@code java -cp privport.jar
 * dev.privport.examples.RenderEveryBackend}.
 */
public final class RenderEveryBackend {
  private RenderEveryBackend() {}

  /** The three texts for serving 80 and 443 from 8080 and 8443. */
  public static String render() {
    RedirectPlan plan = RedirectPlan.builder().name("web").tcp(80, 8080).tcp(443, 8443).build();
    return "## nft -f\n"
        + plan.toNft()
        + "\n## sh -e (iptables-nft or iptables-legacy)\n"
        + plan.toIptables()
        + "\n## firewalld direct rules\n"
        + plan.toFirewalld();
  }

  public static void main(String[] args) {
    System.out.print(render());
  }
}
