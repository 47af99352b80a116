const http = require('http');
console.log('listening on', process.env.PORT || 3000);
