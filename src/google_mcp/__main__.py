from google_mcp.cli import main

main()
