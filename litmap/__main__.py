from litmap.cli import main

main()
