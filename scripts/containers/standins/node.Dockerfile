# Offline stand-in for node:20-bookworm-slim (see scripts/containers/standins.sh).
FROM faultmaven-standin/debian:bookworm-minbase
COPY node/bin/node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
# This machine's CA bundle: npm and pnpm inside a build reach the registry
# through the machine's TLS-intercepting proxy.
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && echo 'node:x:1000:1000::/home/node:/bin/bash' >>/etc/passwd \
 && echo 'node:x:1000:' >>/etc/group \
 && mkdir -p /home/node && chown node:node /home/node \
 && node --version && npm --version
CMD ["node"]
