package dev.privport.nft;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;

/**
 * What a trial keeps on disk until it is confirmed or rolled back: enough for any later privport
 * process to put the table back, and to tell whether the table is still what the trial applied.
 *
 * @param table the plan's table name (family inet)
 * @param pid the process that began the trial (for messages only; liveness is a lock)
 * @param previous the table's listing before the trial, empty when it did not exist
 * @param applied the trial's table as listed right after the apply, with handles and without
 *     counter values; empty while the apply is under way (the process held the lock then, so
 *     whatever the table is, the trial made it so)
 */
record SavedTrial(String table, long pid, Optional<String> previous, Optional<String> applied) {
  private static final String FORMAT = "privport-trial-1";

  /** The text stored on disk. */
  String encode() {
    Properties p = new Properties();
    p.setProperty("format", FORMAT);
    p.setProperty("table", table);
    p.setProperty("pid", Long.toString(pid));
    previous.ifPresent(v -> p.setProperty("previous", v));
    applied.ifPresent(v -> p.setProperty("applied", v));
    StringWriter w = new StringWriter();
    try {
      p.store(
          w, "privport: a trial awaiting confirmation; privport rolls it back if its owner ended");
    } catch (IOException e) {
      throw new IllegalStateException(e); // a StringWriter does not fail
    }
    return w.toString();
  }

  /** Reads {@code text}; throws IllegalArgumentException naming what is wrong. */
  static SavedTrial decode(String text) {
    Properties p = new Properties();
    try {
      p.load(new StringReader(text));
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException("not a saved trial: " + e.getMessage(), e);
    }
    if (!FORMAT.equals(p.getProperty("format"))) {
      throw new IllegalArgumentException(
          "not a saved trial of this version (format " + p.getProperty("format") + ")");
    }
    String table = p.getProperty("table");
    if (table == null || !table.matches("[a-z][a-z0-9-]*")) {
      throw new IllegalArgumentException("bad table name " + table);
    }
    long pid;
    try {
      pid = Long.parseLong(p.getProperty("pid", ""), 10);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad pid " + p.getProperty("pid"), e);
    }
    return new SavedTrial(
        table,
        pid,
        Optional.ofNullable(p.getProperty("previous")),
        Optional.ofNullable(p.getProperty("applied")));
  }

  /** The file name for the trial of {@code table} in the network namespace {@code netns}. */
  static String fileName(String netns, String table) {
    return String.format(Locale.ROOT, "trial-%s-inet-%s", netns, table);
  }
}
