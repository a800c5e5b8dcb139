package dev.privport.cli;

/** What {@code privport render} and {@code check} produce. */
enum Backend {
  nft,
  iptables,
  firewalld,
  redir,
  sysctl,
  all
}
