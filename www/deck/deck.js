// The sample deck: reveal.js at a 16:9 size that holds a 960×540 lab and its title.
Reveal.initialize({ width: 1000, height: 640, margin: 0.02, hash: true, center: true });
