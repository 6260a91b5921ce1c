# Offline stand-in for chromadb/chroma:1.0.0 (see scripts/containers/standins.sh):
# the Chroma 1.0 server inside the chromadb npm package, same entrypoint
# and arguments as the real image.
FROM node:20-bookworm-slim
WORKDIR /opt/chroma
RUN echo '{"private":true,"overrides":{"chromadb-js-bindings-linux-x64-gnu":"1.0.5"}}' >package.json \
 && npm install --no-audit --no-fund chromadb@3.5.0 \
 && printf '#!/bin/sh\nexec node /opt/chroma/node_modules/chromadb/dist/cli.mjs "$@"\n' >/usr/local/bin/chroma \
 && chmod +x /usr/local/bin/chroma
WORKDIR /data
EXPOSE 8000
# The CLI exits cleanly on SIGINT.
STOPSIGNAL SIGINT
ENTRYPOINT ["chroma"]
CMD ["run", "--host", "0.0.0.0", "--port", "8000", "--path", "/data"]
