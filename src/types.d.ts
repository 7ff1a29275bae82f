declare module 'bzip2-wasm' {
  const BZip2: unknown;
  export default BZip2;
}
