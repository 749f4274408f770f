from zsync.emulator.cli import main

raise SystemExit(main())
