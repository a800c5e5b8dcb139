package dev.privport.cli;

import dev.privport.core.spi.Backend;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * What {@code --backend} selects: one {@link Backend} the command line renders, or {@code all} of
 * them. "All" is a choice of the command line, not a backend, so it lives here and not in the enum.
 *
 * @param only the one backend selected; empty for {@code all}
 */
record BackendSelection(Optional<Backend> only) {
  /** The backends {@code render} and {@code check} can select, in the order they render. */
  static final List<Backend> RENDERED =
      List.of(
          Backend.NFT,
          Backend.IPTABLES,
          Backend.FIREWALLD,
          Backend.REDIR,
          Backend.UNPRIVILEGED_PORT_START);

  static final String ALL = "all";

  /** {@code all}. */
  static BackendSelection all() {
    return new BackendSelection(Optional.empty());
  }

  /** Whether this is {@code all}. */
  boolean isAll() {
    return only.isEmpty();
  }

  /**
   * As the record's own, written out: picocli prints the value it sets, and the generated method is
   * an invokedynamic bootstrap whose first run costs a short run (README, Cold start).
   */
  @Override
  public String toString() {
    return "BackendSelection[only=" + only + "]";
  }

  /** How the user spells it: {@code nft} ... {@code sysctl}, or {@code all}. */
  String cliName() {
    return only.map(Backend::cliName).orElse(ALL);
  }

  /** The spellings {@code --backend} takes, in order. */
  static List<String> names() {
    List<String> out = new ArrayList<>();
    RENDERED.forEach(b -> out.add(b.cliName()));
    out.add(ALL);
    return out;
  }

  /** {@code --backend}'s value {@code value}, case-sensitively; empty for any other spelling. */
  static Optional<BackendSelection> parse(String value) {
    if (value.equals(ALL)) {
      return Optional.of(all());
    }
    for (Backend b : RENDERED) {
      if (b.cliName().equals(value)) {
        return Optional.of(new BackendSelection(Optional.of(b)));
      }
    }
    return Optional.empty();
  }

  /**
   * Reads {@code --backend}'s value, case-sensitively; the message for anything else is the one
   * picocli gives for an enum, so that the command line says what it always said.
   */
  static final class Converter implements ITypeConverter<BackendSelection> {
    @Override
    public BackendSelection convert(String value) {
      return parse(value)
          .orElseThrow(
              () ->
                  new TypeConversionException(
                      "expected one of " + names() + " (case-sensitive) but was '" + value + "'"));
    }
  }

  /** {@code --backend}'s completion candidates. */
  static final class Names implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return names().iterator();
    }
  }
}
