from ganzoo.cli import console

console()
