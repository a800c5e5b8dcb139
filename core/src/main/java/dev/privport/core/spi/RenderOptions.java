package dev.privport.core.spi;

import java.util.List;

/**
 * What a backend may need besides the plan. Only firewalld's policy route uses anything today: it
 * cannot say "addressed to this host", so it names the host's addresses.
 *
 * @param hostAddresses this host's unicast addresses (literals, validated by the backend that uses
 *     them); empty when not given
 */
public record RenderOptions(List<String> hostAddresses) {
  /** No options. */
  public static final RenderOptions NONE = new RenderOptions(List.of());

  public RenderOptions {
    hostAddresses = List.copyOf(hostAddresses);
  }
}
