package dev.privport.nft;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Checks that a 64-bit ELF library is as long as its own headers say. The dynamic linker maps the
 * file's segments without comparing them with its length, and the first touch of a page beyond the
 * end kills the JVM with SIGBUS: a truncated copy of libnftables must be refused before it is
 * loaded. Anything this check does not understand is left to the linker.
 */
final class ElfCheck {
  private static final int PT_LOAD = 1;

  private ElfCheck() {}

  /** Why {@code file} cannot be loaded safely, or empty when it looks whole (or is not ELF64). */
  static Optional<String> truncation(Path file) {
    // RandomAccessFile, not NIO: out of descriptors, a failing FileChannel would leave the JDK's
    // NIO
    // file classes uninitialisable for the rest of the process.
    try (RandomAccessFile ch = new RandomAccessFile(file.toFile(), "r")) {
      long size = ch.length();
      ByteBuffer h = read(ch, 0, 64);
      if (h == null
          || h.get(0) != 0x7f
          || h.get(1) != 'E'
          || h.get(2) != 'L'
          || h.get(3) != 'F'
          || h.get(4) != 2) {
        return Optional.empty();
      }
      h.order(h.get(5) == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
      long phoff = h.getLong(0x20);
      long shoff = h.getLong(0x28);
      int phentsize = h.getShort(0x36) & 0xffff;
      int phnum = h.getShort(0x38) & 0xffff;
      int shentsize = h.getShort(0x3a) & 0xffff;
      int shnum = h.getShort(0x3c) & 0xffff;
      long needed = shnum == 0 ? 0 : shoff + (long) shentsize * shnum;
      if (phentsize >= 56 && phnum > 0) {
        ByteBuffer ph = read(ch, phoff, phentsize * phnum);
        if (ph == null) {
          return Optional.of(describe(size, phoff + (long) phentsize * phnum));
        }
        ph.order(h.order());
        for (int i = 0; i < phnum; i++) {
          int at = i * phentsize;
          if (ph.getInt(at) == PT_LOAD) {
            needed = Math.max(needed, ph.getLong(at + 8) + ph.getLong(at + 32));
          }
        }
      }
      return needed > size ? Optional.of(describe(size, needed)) : Optional.empty();
    } catch (IOException | RuntimeException | LinkageError e) {
      return Optional.empty(); // unreadable here: the linker will say why
    }
  }

  private static String describe(long size, long needed) {
    return "truncated: " + size + " bytes, where its ELF headers describe " + needed;
  }

  /** {@code length} bytes at {@code position}, or null if the file ends first. */
  private static ByteBuffer read(RandomAccessFile ch, long position, int length)
      throws IOException {
    if (position < 0 || position + length > ch.length()) {
      return null;
    }
    byte[] b = new byte[length];
    ch.seek(position);
    ch.readFully(b);
    return ByteBuffer.wrap(b);
  }
}
