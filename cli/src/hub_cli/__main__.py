from hub_cli.main import main

main()
