const ms = require("ms");
const greet = (name: string): string => `hello ${name}`;
console.log(greet("ts"), ms(60000));
