declare function require(name: string): any;
