//! DNS servers the OS uses: resolv.conf, systemd-resolved, scutil --dns, ipconfig /all, NRPT.
