module.exports = require('ms')('1h');
