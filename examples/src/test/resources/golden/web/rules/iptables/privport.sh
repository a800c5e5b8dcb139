# privport plan "privport": iptables/ip6tables commands, rendered by privport.
# Idempotent: run with sh -e as often as needed. Owns the nat chains PRIVPORT-IN and PRIVPORT-LOCAL.
if firewall-cmd --state >/dev/null 2>&1; then echo 'privport: warning: firewalld runs here and its next firewall-cmd --reload deletes these chains; use the firewalld backend' >&2; fi
iptables -w -t nat -L PRIVPORT-IN -n >/dev/null 2>&1 || iptables -w -t nat -N PRIVPORT-IN
iptables -w -t nat -F PRIVPORT-IN
iptables -w -t nat -A PRIVPORT-IN -p tcp -m tcp --dport 80 -m comment --comment 'tcp 80 -> 8080' -j REDIRECT --to-ports 8080
iptables -w -t nat -A PRIVPORT-IN -p tcp -m tcp --dport 443 -m comment --comment 'tcp 443 -> 8443' -j REDIRECT --to-ports 8443
iptables -w -t nat -C PREROUTING -m addrtype --dst-type LOCAL -j PRIVPORT-IN >/dev/null 2>&1 || iptables -w -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j PRIVPORT-IN
iptables -w -t nat -L PRIVPORT-LOCAL -n >/dev/null 2>&1 || iptables -w -t nat -N PRIVPORT-LOCAL
iptables -w -t nat -F PRIVPORT-LOCAL
iptables -w -t nat -A PRIVPORT-LOCAL -p tcp -m tcp --dport 80 -m comment --comment 'tcp 80 -> 8080' -j REDIRECT --to-ports 8080
iptables -w -t nat -A PRIVPORT-LOCAL -p tcp -m tcp --dport 443 -m comment --comment 'tcp 443 -> 8443' -j REDIRECT --to-ports 8443
iptables -w -t nat -C OUTPUT -o lo -j PRIVPORT-LOCAL >/dev/null 2>&1 || iptables -w -t nat -A OUTPUT -o lo -j PRIVPORT-LOCAL
ip6tables -w -t nat -L PRIVPORT-IN -n >/dev/null 2>&1 || ip6tables -w -t nat -N PRIVPORT-IN
ip6tables -w -t nat -F PRIVPORT-IN
ip6tables -w -t nat -A PRIVPORT-IN -p tcp -m tcp --dport 80 -m comment --comment 'tcp 80 -> 8080' -j REDIRECT --to-ports 8080
ip6tables -w -t nat -A PRIVPORT-IN -p tcp -m tcp --dport 443 -m comment --comment 'tcp 443 -> 8443' -j REDIRECT --to-ports 8443
ip6tables -w -t nat -C PREROUTING -m addrtype --dst-type LOCAL -j PRIVPORT-IN >/dev/null 2>&1 || ip6tables -w -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j PRIVPORT-IN
ip6tables -w -t nat -L PRIVPORT-LOCAL -n >/dev/null 2>&1 || ip6tables -w -t nat -N PRIVPORT-LOCAL
ip6tables -w -t nat -F PRIVPORT-LOCAL
ip6tables -w -t nat -A PRIVPORT-LOCAL -p tcp -m tcp --dport 80 -m comment --comment 'tcp 80 -> 8080' -j REDIRECT --to-ports 8080
ip6tables -w -t nat -A PRIVPORT-LOCAL -p tcp -m tcp --dport 443 -m comment --comment 'tcp 443 -> 8443' -j REDIRECT --to-ports 8443
ip6tables -w -t nat -C OUTPUT -o lo -j PRIVPORT-LOCAL >/dev/null 2>&1 || ip6tables -w -t nat -A OUTPUT -o lo -j PRIVPORT-LOCAL
