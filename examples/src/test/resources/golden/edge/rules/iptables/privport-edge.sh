# privport plan "privport-edge": iptables/ip6tables commands, rendered by privport.
# Idempotent: run with sh -e as often as needed. Owns the nat chains PRIVPORT-EDGE-IN and PRIVPORT-EDGE-LOCAL.
# UDP flows that began before an apply or a remove keep their old path until cleared:
#   conntrack -D -p udp --orig-port-dst PORT   (PORT: 162 514)
if firewall-cmd --state >/dev/null 2>&1; then echo 'privport: warning: firewalld runs here and its next firewall-cmd --reload deletes these chains; use the firewalld backend' >&2; fi
iptables -w -t nat -L PRIVPORT-EDGE-IN -n >/dev/null 2>&1 || iptables -w -t nat -N PRIVPORT-EDGE-IN
iptables -w -t nat -F PRIVPORT-EDGE-IN
iptables -w -t nat -A PRIVPORT-EDGE-IN -i eth0 -p udp -m udp --dport 162 -m comment --comment 'udp 162 -> 1162' -j REDIRECT --to-ports 1162
iptables -w -t nat -A PRIVPORT-EDGE-IN -p tcp -m tcp --dport 80 -m comment --comment 'tcp 80 -> 8080' -j REDIRECT --to-ports 8080
iptables -w -t nat -A PRIVPORT-EDGE-IN -p tcp -m tcp --dport 443 -m comment --comment 'tcp 443 -> 8443' -j REDIRECT --to-ports 8443
iptables -w -t nat -A PRIVPORT-EDGE-IN -p udp -m udp --dport 514 -m comment --comment 'udp 514 -> 5514' -j REDIRECT --to-ports 5514
iptables -w -t nat -C PREROUTING -m addrtype --dst-type LOCAL -j PRIVPORT-EDGE-IN >/dev/null 2>&1 || iptables -w -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j PRIVPORT-EDGE-IN
iptables -w -t nat -L PRIVPORT-EDGE-LOCAL -n >/dev/null 2>&1 || iptables -w -t nat -N PRIVPORT-EDGE-LOCAL
iptables -w -t nat -F PRIVPORT-EDGE-LOCAL
iptables -w -t nat -A PRIVPORT-EDGE-LOCAL -p tcp -m tcp --dport 80 -m comment --comment 'tcp 80 -> 8080' -j REDIRECT --to-ports 8080
iptables -w -t nat -A PRIVPORT-EDGE-LOCAL -p tcp -m tcp --dport 443 -m comment --comment 'tcp 443 -> 8443' -j REDIRECT --to-ports 8443
iptables -w -t nat -C OUTPUT -o lo -j PRIVPORT-EDGE-LOCAL >/dev/null 2>&1 || iptables -w -t nat -A OUTPUT -o lo -j PRIVPORT-EDGE-LOCAL
ip6tables -w -t nat -L PRIVPORT-EDGE-IN -n >/dev/null 2>&1 || ip6tables -w -t nat -N PRIVPORT-EDGE-IN
ip6tables -w -t nat -F PRIVPORT-EDGE-IN
ip6tables -w -t nat -A PRIVPORT-EDGE-IN -i eth0 -p udp -m udp --dport 162 -m comment --comment 'udp 162 -> 1162' -j REDIRECT --to-ports 1162
ip6tables -w -t nat -A PRIVPORT-EDGE-IN -p tcp -m tcp --dport 80 -m comment --comment 'tcp 80 -> 8080' -j REDIRECT --to-ports 8080
ip6tables -w -t nat -A PRIVPORT-EDGE-IN -p tcp -m tcp --dport 443 -m comment --comment 'tcp 443 -> 8443' -j REDIRECT --to-ports 8443
ip6tables -w -t nat -C PREROUTING -m addrtype --dst-type LOCAL -j PRIVPORT-EDGE-IN >/dev/null 2>&1 || ip6tables -w -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j PRIVPORT-EDGE-IN
ip6tables -w -t nat -L PRIVPORT-EDGE-LOCAL -n >/dev/null 2>&1 || ip6tables -w -t nat -N PRIVPORT-EDGE-LOCAL
ip6tables -w -t nat -F PRIVPORT-EDGE-LOCAL
ip6tables -w -t nat -A PRIVPORT-EDGE-LOCAL -p tcp -m tcp --dport 80 -m comment --comment 'tcp 80 -> 8080' -j REDIRECT --to-ports 8080
ip6tables -w -t nat -A PRIVPORT-EDGE-LOCAL -p tcp -m tcp --dport 443 -m comment --comment 'tcp 443 -> 8443' -j REDIRECT --to-ports 8443
ip6tables -w -t nat -C OUTPUT -o lo -j PRIVPORT-EDGE-LOCAL >/dev/null 2>&1 || ip6tables -w -t nat -A OUTPUT -o lo -j PRIVPORT-EDGE-LOCAL
