from zsync.cli import main

raise SystemExit(main())
