import sys

from legal_rag.cli import main

sys.exit(main(["ingest", *sys.argv[1:]]))
