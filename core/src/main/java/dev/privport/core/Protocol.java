package dev.privport.core;

import java.util.Locale;

/** The transport protocol a {@link Redirect} applies to. */
public enum Protocol {
  TCP,
  UDP;

  /** The lower-case keyword every backend uses for this protocol: {@code tcp} or {@code udp}. */
  public String keyword() {
    return name().toLowerCase(Locale.ROOT);
  }
}
