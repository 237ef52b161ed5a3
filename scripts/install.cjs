// npm's install step. On Linux: node-gyp-build (the prebuild that fits, else
// a source build with node-gyp). Elsewhere nothing is built: berkeley does not
// run there yet, and importing it says so (ERR_BERKELEY_UNSUPPORTED_PLATFORM),
// so installing a project that depends on it must not fail on a developer's
// Mac or Windows machine.
'use strict';
if (process.platform === 'linux') {
  require('node-gyp-build/bin.js');
} else {
  console.log(`berkeley: nothing to build on ${process.platform} (${process.arch}): berkeley runs on Linux only, ` +
    "and import('berkeley') throws ERR_BERKELEY_UNSUPPORTED_PLATFORM here");
}
