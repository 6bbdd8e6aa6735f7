// `bench --help | head` closes the pipe before help is written: that is the reader's choice,
// not an error, so leave quietly with 0 instead of Node's EPIPE warning and exit code 13.
export function exitQuietlyOnClosedPipe() {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
}
