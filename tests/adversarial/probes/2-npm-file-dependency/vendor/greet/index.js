module.exports = 'hello';
