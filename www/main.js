// Loads the wasm module and mounts the app. Relative paths: works under any sub-path.
import init, { run } from './pkg/kafka_lab_web.js';

await init();
run();
