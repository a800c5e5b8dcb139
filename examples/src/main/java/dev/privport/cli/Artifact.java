package dev.privport.cli;

/**
 * One rendered file, at its conventional path below an output directory (e.g. {@code
 * nftables/privport.nft}, {@code iptables/rules.v4}).
 *
 * @param path relative path, '/'-separated
 * @param content exact content
 */
public record Artifact(String path, String content) {}
