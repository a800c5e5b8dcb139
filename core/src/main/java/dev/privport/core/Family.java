package dev.privport.core;

/** The IP address family a {@link Redirect} applies to. */
public enum Family {
  IPV4,
  IPV6;

  /** The lower-case keyword nft and firewalld use for this family: {@code ipv4} or {@code ipv6}. */
  public String keyword() {
    return this == IPV4 ? "ipv4" : "ipv6";
  }
}
