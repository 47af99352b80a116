from .digest import main

main()
