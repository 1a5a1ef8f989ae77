// Loads the wasm module and mounts the app. Relative paths: works under any sub-path.
import init, { run } from './pkg/kafka_lab_web.js';

// Until the app runs, the page speaks the language the app will choose (web/src/i18n.rs:
// the remembered choice, else Korean for a Korean browser).
let lang = null;
try { lang = localStorage.getItem('kafka-lab.lang'); } catch { /* storage refused */ }
if (lang !== 'en' && lang !== 'ko') lang = navigator.language?.startsWith('ko') ? 'ko' : 'en';
if (lang === 'ko') {
  document.documentElement.lang = 'ko';
  document.title = 'Kafka Lab — 카프카 프로듀서 내부를 눈으로';
  const loading = document.getElementById('loading');
  if (loading) loading.textContent = 'Kafka Lab 불러오는 중…';
}

await init();
run();
