"""Format-agnostic machinery of the config loader: a neutral node tree and the walker over it.

`nodes` is the node type every document format is turned into; `fromyaml` is the YAML adapter and
the only module of zsync that imports `yaml`; `walk` walks a node tree with a table of fields,
collecting problems located by file, line and field path. What zenodo.yaml means is elsewhere:
the table is `zsync.configschema`, its rules `zsync.configrules`, the file-system pass
`zsync.filecheck`, the public functions `zsync.config`.
"""
