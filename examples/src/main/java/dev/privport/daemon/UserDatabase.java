package dev.privport.daemon;

import dev.privport.core.Command;
import dev.privport.core.CommandRunner;
import dev.privport.core.SubprocessRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Where the daemon looks up users and groups: the system's database through {@code getent} (so LDAP
 * and sssd users resolve as they do for everything else), or passwd/group files, which tests
 * inject. Only names go through it: the caller's uid and gid always come from the kernel.
 */
public interface UserDatabase {
  /** A passwd entry. */
  record Account(String name, int uid, int gid) {}

  /** A group entry with the user names it lists as members. */
  record GroupEntry(String name, int gid, List<String> members) {
    /** Copies the members. */
    public GroupEntry {
      members = List.copyOf(members);
    }
  }

  /** The account named {@code name}. */
  Optional<Account> user(String name);

  /** The account with {@code uid}. */
  Optional<Account> user(int uid);

  /** The group named {@code name}. */
  Optional<GroupEntry> group(String name);

  /** The group with {@code gid}. */
  Optional<GroupEntry> group(int gid);

  /** The system's database, read with {@code getent} (bounded to a few seconds per lookup). */
  static UserDatabase system() {
    return new UserDatabase() {
      @Override
      public Optional<Account> user(String name) {
        return getent("passwd", name).flatMap(UserDatabase::account);
      }

      @Override
      public Optional<Account> user(int uid) {
        return getent("passwd", Integer.toUnsignedString(uid)).flatMap(UserDatabase::account);
      }

      @Override
      public Optional<GroupEntry> group(String name) {
        return getent("group", name).flatMap(UserDatabase::groupEntry);
      }

      @Override
      public Optional<GroupEntry> group(int gid) {
        return getent("group", Integer.toUnsignedString(gid)).flatMap(UserDatabase::groupEntry);
      }
    };
  }

  /** A database read from files in passwd(5) and group(5) format, re-read on every lookup. */
  static UserDatabase files(Path passwd, Path group) {
    return new UserDatabase() {
      @Override
      public Optional<Account> user(String name) {
        return find(passwd, f -> f[0].equals(name)).flatMap(UserDatabase::account);
      }

      @Override
      public Optional<Account> user(int uid) {
        String id = Integer.toUnsignedString(uid);
        return find(passwd, f -> f.length > 2 && f[2].equals(id)).flatMap(UserDatabase::account);
      }

      @Override
      public Optional<GroupEntry> group(String name) {
        return find(group, f -> f[0].equals(name)).flatMap(UserDatabase::groupEntry);
      }

      @Override
      public Optional<GroupEntry> group(int gid) {
        String id = Integer.toUnsignedString(gid);
        return find(group, f -> f.length > 2 && f[2].equals(id)).flatMap(UserDatabase::groupEntry);
      }
    };
  }

  private static Optional<String> find(Path file, Predicate<String[]> match) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
          .filter(l -> !l.isBlank() && !l.startsWith("#"))
          .filter(l -> match.test(l.split(":", -1)))
          .findFirst();
    } catch (IOException e) {
      throw new IllegalStateException("user database " + file + ": " + e.getMessage(), e);
    }
  }

  private static Optional<String> getent(String database, String key) {
    // getent takes a numeric key as an id and anything else as a name; refuse keys it could
    // misread (an option, an empty name) before starting it.
    if (key.isEmpty() || key.startsWith("-") || key.length() > 256) {
      return Optional.empty();
    }
    // Bounded: a name service that hangs or floods must not stall or fill the daemon. A getent
    // that cannot start or does not answer throws CommandException, naming it.
    CommandRunner.Outcome o =
        SubprocessRunner.create()
            .withTimeout(Duration.ofSeconds(5))
            .withOutputLimit(64 * 1024)
            .run(Command.of("getent", database, key));
    if (!o.ok()) {
      return Optional.empty(); // 2: no such entry
    }
    return o.stdout().lines().findFirst();
  }

  private static Optional<Account> account(String line) {
    String[] f = line.split(":", -1);
    if (f.length < 4) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          new Account(f[0], Integer.parseUnsignedInt(f[2]), Integer.parseUnsignedInt(f[3])));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static Optional<GroupEntry> groupEntry(String line) {
    String[] f = line.split(":", -1);
    if (f.length < 3) {
      return Optional.empty();
    }
    try {
      List<String> members =
          f.length > 3 && !f[3].isBlank() ? Arrays.asList(f[3].split(",")) : List.of();
      return Optional.of(new GroupEntry(f[0], Integer.parseUnsignedInt(f[2]), members));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
