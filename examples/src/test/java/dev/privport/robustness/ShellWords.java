package dev.privport.robustness;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a POSIX-shell word list that uses only single quotes (and '\'' for a quote), as firewalld
 * writes direct.xml.
 */
final class ShellWords {
  private ShellWords() {}

  static List<String> split(String text) {
    List<String> words = new ArrayList<>();
    StringBuilder word = null;
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c == ' ') {
        if (word != null) {
          words.add(word.toString());
          word = null;
        }
        i++;
      } else if (c == '\'') {
        int end = text.indexOf('\'', i + 1);
        if (end < 0) {
          throw new IllegalArgumentException("unterminated quote in " + text);
        }
        word = word == null ? new StringBuilder() : word;
        word.append(text, i + 1, end);
        i = end + 1;
      } else if (c == '\\' && i + 1 < text.length()) {
        word = word == null ? new StringBuilder() : word;
        word.append(text.charAt(i + 1));
        i += 2;
      } else {
        word = word == null ? new StringBuilder() : word;
        word.append(c);
        i++;
      }
    }
    if (word != null) {
      words.add(word.toString());
    }
    return words;
  }
}
