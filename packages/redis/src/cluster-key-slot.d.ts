/** Types for cluster-key-slot (it ships none): Redis Cluster's CRC16 key slot, hash tags honoured. */
declare module "cluster-key-slot" {
  /** The slot (0..16383) Redis Cluster gives `key`. */
  export default function generate(key: string | Buffer): number;
}
