package dev.privport.core.spi;

/**
 * The rendering backends {@link dev.privport.core.RedirectPlan} can reach, and where each lives.
 */
public enum BackendKind {
  NFT("privport-nft"),
  IPTABLES("privport-iptables"),
  FIREWALLD("privport-firewalld");

  private final String artifactId;

  BackendKind(String artifactId) {
    this.artifactId = artifactId;
  }

  /** The Maven coordinates of the module that provides this backend. */
  public String coordinates() {
    return "dev.privport:" + artifactId;
  }
}
