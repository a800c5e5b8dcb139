package dev.privport.nft;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;

/**
 * One libnftables context, kept open for the executor's life ({@code nft_ctx_free} costs 13-15 ms).
 * libnftables keeps process-wide state (interface cache, libxtables globals) and reuses its buffers
 * on the next call, so every call into it, across all contexts, holds {@link #LOCK}, and output and
 * error are copied into Java strings before the lock is released.
 */
final class NftContext implements AutoCloseable {
  /** Serialises every call into libnftables in this JVM: several contexts in parallel crash it. */
  static final ReentrantLock LOCK = new ReentrantLock();

  private static final int CAP_NET_ADMIN = 12;

  private static LibNftables loaded;
  private static String loadedName;

  /** What one call returned: libnftables' status, output and error, already copied. */
  record Result(int status, String output, String error) {}

  private static final String INSTALL =
      "install libnftables (Debian/Ubuntu: apt-get install libnftables1; Fedora/RHEL/CentOS:"
          + " dnf install nftables; openSUSE: zypper install libnftables1; Arch: pacman -S nftables)";

  /** Where distributions put libnftables.so.1 (to tell "missing" from "does not load"). */
  private static final List<String> LIBRARY_DIRS =
      List.of(
          "/usr/lib/x86_64-linux-gnu",
          "/usr/lib/aarch64-linux-gnu",
          "/usr/lib64",
          "/usr/lib",
          "/lib64",
          "/lib",
          "/usr/local/lib");

  private final LibNftables lib;
  private final String namespace;
  private NftGeneration kernel;
  private Pointer ctx;

  private NftContext(LibNftables lib, Pointer ctx, String namespace) {
    this.lib = lib;
    this.ctx = ctx;
    this.namespace = namespace;
  }

  /**
   * The socket {@link NftGeneration} asks on, opened at the first apply rather than with the
   * context (a process that only reads, such as {@code privport status}, needs no more descriptors
   * than before), and only from a thread in the context's namespace, so that it asks about the same
   * namespace as the context acts on; null while it cannot be had.
   */
  private NftGeneration kernel() {
    LOCK.lock();
    try {
      if (kernel == null
          && ctx != null
          && !namespace.equals("unknown")
          && namespace.equals(currentNamespace())) {
        kernel = NftGeneration.open();
      }
      return kernel;
    } finally {
      LOCK.unlock();
    }
  }

  /**
   * The ruleset generation of the context's namespace ({@link NftGeneration}), or empty when it
   * cannot be read.
   */
  java.util.OptionalLong generation() {
    NftGeneration k = kernel();
    return k == null ? java.util.OptionalLong.empty() : k.generation();
  }

  /** Whether {@code table inet NAME} exists in the context's namespace, or empty if unknown. */
  java.util.Optional<Boolean> tableExists(String name) {
    NftGeneration k = kernel();
    return k == null ? java.util.Optional.empty() : k.tableExists(name);
  }

  /**
   * The network namespace the context acts on, as the inode number of the opening thread's {@code
   * /proc/thread-self/ns/net} ("unknown" if unreadable): saved trials are per namespace.
   */
  String namespace() {
    return namespace;
  }

  private static String currentNamespace() {
    try {
      Matcher m =
          Pattern.compile("net:\\[(\\d+)\\]")
              .matcher(Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString());
      return m.matches() ? m.group(1) : "unknown";
    } catch (IOException | UnsupportedOperationException e) {
      return "unknown";
    }
  }

  /** Loads the library, probes netlink, then creates a context with buffered output and error. */
  static NftContext open(String soname) {
    LOCK.lock();
    try {
      LibNftables lib = load(soname);
      String netlink = NetlinkProbe.problem();
      if (netlink != null) {
        throw new NftablesException(NftablesException.Reason.NETLINK_UNAVAILABLE, netlink);
      }
      Pointer ctx = lib.nft_ctx_new(LibNftables.NFT_CTX_DEFAULT);
      if (ctx == null) {
        throw new NftablesException(NftablesException.Reason.REJECTED, "nft_ctx_new returned NULL");
      }
      if (lib.nft_ctx_buffer_output(ctx) != 0 || lib.nft_ctx_buffer_error(ctx) != 0) {
        lib.nft_ctx_free(ctx);
        throw new NftablesException(
            NftablesException.Reason.REJECTED, "libnftables cannot buffer its output");
      }
      return new NftContext(lib, ctx, currentNamespace());
    } finally {
      LOCK.unlock();
    }
  }

  /** Loads (once per name) the library, or throws naming why it cannot be used, on one line. */
  static LibNftables load(String soname) {
    LOCK.lock();
    try {
      if (loaded != null && soname.equals(loadedName)) {
        return loaded;
      }
      Path file = find(soname);
      if (file != null) {
        ElfCheck.truncation(file)
            .ifPresent(
                why -> {
                  throw unloadable(file, why);
                });
      }
      try {
        loaded =
            withUsFormatLocale(
                () -> LibraryLoader.create(LibNftables.class).failImmediately().load(soname));
        loadedName = soname;
        return loaded;
      } catch (LinkageError | RuntimeException e) {
        throw loadFailure(soname, e);
      }
    } finally {
      LOCK.unlock();
    }
  }

  /**
   * Runs {@code load}, a jnr-ffi library load, with the default FORMAT locale set to {@link
   * Locale#US}. On its first use jnr-ffi loads jffi's native stub, whose name jffi formats with
   * {@code String.format} in the default locale: under {@code ar-EG} or {@code th-TH-u-nu-thai} it
   * looks for {@code libjffi-١.٢.so}, finds no such entry in its jar, and jnr-ffi stays unusable
   * for the JVM's life ("could not load FFI provider"). US rather than ROOT: {@link
   * java.util.Formatter} writes US digits without loading any locale data, while for any other
   * locale it loads the CLDR tables, a few milliseconds of every apply. Every load goes through
   * here holding {@link #LOCK}, so the switch never interleaves with itself; only the FORMAT
   * category changes, and it is put back at once.
   */
  static <T> T withUsFormatLocale(Supplier<T> load) {
    LOCK.lock();
    Locale format = Locale.getDefault(Locale.Category.FORMAT);
    try {
      Locale.setDefault(Locale.Category.FORMAT, Locale.US);
      return load.get();
    } finally {
      Locale.setDefault(Locale.Category.FORMAT, format);
      LOCK.unlock();
    }
  }

  /**
   * Tells apart the causes jnr-ffi reports alike: jffi's own stub not unpacked, descriptors used
   * up, a file that exists but does not load, and a library that is not installed.
   */
  static NftablesException loadFailure(String soname, Throwable e) {
    List<String> messages = new ArrayList<>();
    for (Throwable t = e; t != null && messages.size() < 10; t = t.getCause()) {
      messages.add(t.getMessage() == null ? t.toString() : t.getMessage());
    }
    String all = String.join(" / ", messages);
    if (all.contains("Too many open files") || descriptorsUsedUp()) {
      return new NftablesException(
          NftablesException.Reason.RESOURCE_LIMIT,
          "cannot load "
              + soname
              + ": too many open files: the process's file-descriptor limit (ulimit -n"
              + descriptorLimit()
              + ") is used up; raise it");
    }
    String jffi =
        messages.stream()
            .filter(m -> m.contains("jffi"))
            .reduce((first, last) -> last)
            .orElse(null);
    if (jffi != null || all.contains("could not load FFI provider")) {
      String why = withoutStackTrace(jffi != null ? jffi : all);
      Matcher localized = LOCALIZED_STUB.matcher(why);
      if (localized.find()) {
        // Only when jnr-ffi was first used outside privport: privport's own loads format in ROOT.
        return new NftablesException(
            NftablesException.Reason.FFI_UNAVAILABLE,
            "jnr-ffi cannot start its native stub (jffi), so "
                + soname
                + " cannot be loaded: jffi looked for "
                + localized.group()
                + ", a name it formatted with the digits of the default locale "
                + Locale.getDefault(Locale.Category.FORMAT).toLanguageTag()
                + ", because jnr-ffi was first used before privport loaded it; start Java with"
                + " -Duser.language=en, or load libnftables first");
      }
      return new NftablesException(
          NftablesException.Reason.FFI_UNAVAILABLE,
          "jnr-ffi cannot start its native stub (jffi), so "
              + soname
              + " cannot be loaded: "
              + why
              + " (jffi unpacks it into java.io.tmpdir="
              + System.getProperty("java.io.tmpdir")
              + ", then /tmp, then the current directory; -Djffi.extract.dir=DIR names a writable"
              + " directory not mounted noexec)");
    }
    Path file = find(soname);
    if (file != null && all.contains(file.toString())) {
      // The dynamic linker itself refused the file: "FILE: invalid ELF header", "wrong ELF class".
      String why = oneLine(messages.get(0));
      int cut = why.indexOf(" Library names");
      return unloadable(file, (cut > 0 ? why.substring(0, cut) : why).strip());
    }
    if (file != null) {
      return new NftablesException(
          NftablesException.Reason.FFI_UNAVAILABLE,
          "jnr-ffi failed while loading " + file + ": " + oneLine(all));
    }
    return new NftablesException(
        NftablesException.Reason.LIBRARY_MISSING, "cannot load " + soname + ": " + INSTALL);
  }

  /**
   * Whether the process has no file descriptor left. jnr-ffi does not always say so: listing a
   * library directory without a descriptor gives it a NullPointerException in a static initialiser.
   * Opening /dev/null fails only for want of descriptors (or of /dev).
   */
  private static boolean descriptorsUsedUp() {
    try (java.io.FileInputStream probe = new java.io.FileInputStream("/dev/null")) {
      return false;
    } catch (IOException | LinkageError e) {
      return true;
    }
  }

  private static NftablesException unloadable(Path file, String why) {
    return new NftablesException(
        NftablesException.Reason.LIBRARY_UNLOADABLE,
        file
            + " exists but cannot be loaded ("
            + why
            + "): reinstall libnftables, or point -D"
            + Nftables.LIBRARY_PROPERTY
            + " at a working copy");
  }

  /** The file the dynamic linker would try for {@code soname}, if one exists. */
  private static Path find(String soname) {
    if (soname.contains("/")) {
      return Files.exists(Path.of(soname)) ? Path.of(soname) : null;
    }
    List<String> dirs = new ArrayList<>();
    String ldPath = System.getenv("LD_LIBRARY_PATH");
    if (ldPath != null) {
      dirs.addAll(List.of(ldPath.split(":")));
    }
    dirs.addAll(LIBRARY_DIRS);
    for (String d : dirs) {
      if (!d.isEmpty() && Files.exists(Path.of(d, soname))) {
        return Path.of(d, soname);
      }
    }
    return null;
  }

  private static String descriptorLimit() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
        if (line.startsWith("Max open files")) {
          return " " + line.substring("Max open files".length()).strip().split("\\s+")[0];
        }
      }
    } catch (IOException | RuntimeException | LinkageError e) {
      // with no descriptor left even this read fails (as an IOException, or the JDK's file
      // classes failing to initialise)
    }
    return "";
  }

  /** jffi's stub name with a digit other than ASCII's, as a non-ROOT default locale formats it. */
  private static final Pattern LOCALIZED_STUB =
      Pattern.compile("libjffi-[^\\s,\\]]*[^\\x00-\\x7F][^\\s,\\]]*\\.so");

  /** jffi puts a whole stack trace into its message: keep the text before the first frame. */
  private static String withoutStackTrace(String message) {
    String line = oneLine(message);
    Matcher frame = Pattern.compile("\\s+at [\\w$.]+\\(").matcher(line);
    return (frame.find() ? line.substring(0, frame.start()) : line).strip();
  }

  private static String oneLine(String s) {
    return s.replaceAll("\\s*\\n\\s*", " ").strip();
  }

  /**
   * Runs {@code commands} as one transaction.
   *
   * @param outputFlags {@code NFT_CTX_OUTPUT_*} flags for this call only
   * @param dryRun check without committing
   */
  /** Throws {@link IllegalStateException} once this context is closed. */
  void requireOpen() {
    LOCK.lock();
    try {
      if (ctx == null) {
        throw new IllegalStateException("this Nftables executor is closed");
      }
    } finally {
      LOCK.unlock();
    }
  }

  Result run(String commands, int outputFlags, boolean dryRun) {
    LOCK.lock();
    try {
      if (ctx == null) {
        throw new IllegalStateException("this Nftables executor is closed");
      }
      requireNetAdmin();
      lib.nft_ctx_output_set_flags(ctx, outputFlags);
      lib.nft_ctx_set_dry_run(ctx, (byte) (dryRun ? 1 : 0));
      try {
        int status = lib.nft_run_cmd_from_buffer(ctx, cString(commands));
        String output = read(lib.nft_ctx_get_output_buffer(ctx));
        String error = read(lib.nft_ctx_get_error_buffer(ctx));
        if (status != 0) {
          // From a buffer, errors carry no line. The transaction failed whole, so nothing changed:
          // a dry run of the same text from a file names the line (for all but kernel-only errors).
          error = locate(commands, error);
        }
        return new Result(status, output, error);
      } finally {
        lib.nft_ctx_set_dry_run(ctx, (byte) 0);
        lib.nft_ctx_output_set_flags(ctx, 0);
      }
    } finally {
      LOCK.unlock();
    }
  }

  /**
   * The error of a dry run of the same text read as a file, which names the line (for all but
   * kernel-only errors), or {@code error} if that passes or cannot run. The "file" is an anonymous
   * memfd read through {@code /proc/self/fd}: no temporary directory is needed or touched.
   */
  private String locate(String commands, String error) {
    int fd = Libc.memfd(commands.getBytes(StandardCharsets.UTF_8));
    if (fd < 0) {
      return error; // no descriptor or no memfd: the error without its line
    }
    String path = "/proc/self/fd/" + fd;
    try {
      lib.nft_ctx_set_dry_run(ctx, (byte) 1);
      int status = lib.nft_run_cmd_from_filename(ctx, cString(path));
      read(lib.nft_ctx_get_output_buffer(ctx));
      String located = read(lib.nft_ctx_get_error_buffer(ctx));
      if (status == 0 || located.isBlank() || located.contains("\"" + path + "\"")) {
        return error; // it passed, or libnftables could not open the memfd (descriptors used up)
      }
      return located.replace(path + ":", "script:");
    } finally {
      lib.nft_ctx_set_dry_run(ctx, (byte) 0);
      Libc.close(fd);
    }
  }

  /**
   * {@code s} as a C string: UTF-8, then NUL. The bindings take strings as bytes, not as {@code
   * String}s with jnr-ffi's {@code @Encoding}: no binding carries an annotation, so binding them
   * defines no annotation proxy classes (there were twelve, a tenth of a short apply).
   */
  static byte[] cString(String s) {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    return Arrays.copyOf(utf8, utf8.length + 1);
  }

  private static String read(Pointer buffer) {
    return buffer == null ? "" : buffer.getString(0, Integer.MAX_VALUE, StandardCharsets.UTF_8);
  }

  /** Threads seen holding CAP_NET_ADMIN; only a positive answer is remembered. */
  private static final ThreadLocal<Boolean> HAS_NET_ADMIN = ThreadLocal.withInitial(() -> false);

  /**
   * Throws unless the calling thread holds CAP_NET_ADMIN. Without it libnftables fails anyway, and
   * also writes "you must be root" to the real stderr; checking first keeps that noise away.
   */
  static void requireNetAdmin() {
    if (HAS_NET_ADMIN.get()) {
      return;
    }
    if (!hasNetAdmin()) {
      throw new NftablesException(
          NftablesException.Reason.PERMISSION,
          "changing or reading nftables needs CAP_NET_ADMIN: run as root or grant the capability");
    }
    HAS_NET_ADMIN.set(true);
  }

  /** Whether the calling thread's effective capabilities include CAP_NET_ADMIN. */
  static boolean hasNetAdmin() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/thread-self/status"))) {
        if (line.startsWith("CapEff:")) {
          long caps = Long.parseUnsignedLong(line.substring(7).trim(), 16);
          return (caps & (1L << CAP_NET_ADMIN)) != 0;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return true; // cannot tell: let libnftables answer
    }
    return true;
  }

  @Override
  public void close() {
    LOCK.lock();
    try {
      if (ctx != null) {
        lib.nft_ctx_free(ctx);
        ctx = null;
        if (kernel != null) {
          kernel.close();
          kernel = null;
        }
      }
    } finally {
      LOCK.unlock();
    }
  }
}
