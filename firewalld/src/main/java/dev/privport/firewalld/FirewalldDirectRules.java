package dev.privport.firewalld;

import dev.privport.core.Command;
import dev.privport.core.ConfigFile;
import java.util.List;

/**
 * The direct-rule route for one plan: rules in firewalld's iptables nat chains, which firewalld
 * keeps across {@code --reload} (rules added with plain iptables behind its back vanish).
 *
 * @param runtimeAdd {@code firewall-cmd --direct --add-rule ...}, one a rule; a rule already there
 *     is reported {@code ALREADY_ENABLED} with exit 0, so running them twice adds nothing
 * @param runtimeRemove the matching {@code --remove-rule} calls ({@code NOT_ENABLED}, exit 0, when
 *     absent)
 * @param permanentAdd the same with {@code --permanent}, then {@code --reload}
 * @param permanentRemove the permanent removals, then {@code --reload}
 * @param directXml the permanent configuration, {@code /etc/firewalld/direct.xml}, as firewalld
 *     itself writes it for these rules (merge it by hand if the host has other direct rules)
 */
public record FirewalldDirectRules(
    List<Command> runtimeAdd,
    List<Command> runtimeRemove,
    List<Command> permanentAdd,
    List<Command> permanentRemove,
    ConfigFile directXml) {

  public FirewalldDirectRules {
    runtimeAdd = List.copyOf(runtimeAdd);
    runtimeRemove = List.copyOf(runtimeRemove);
    permanentAdd = List.copyOf(permanentAdd);
    permanentRemove = List.copyOf(permanentRemove);
  }
}
