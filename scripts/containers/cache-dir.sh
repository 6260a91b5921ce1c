# Where the offline stand-ins (debootstrap rootfs, Node/npm tarballs) and our
# dockerd's data-root (imported and built images, build cache) are kept
# between runs on one machine. Override with FAULTMAVEN_CONTAINER_CACHE.
CONTAINER_CACHE="${FAULTMAVEN_CONTAINER_CACHE:-/var/cache/faultmaven-containers}"
export CONTAINER_CACHE
