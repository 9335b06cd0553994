from twinsight.cli import main

main()
