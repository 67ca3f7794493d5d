#!/usr/bin/env node
// Validates RDF documents (Turtle or JSON-LD) against SHACL shapes with
// rdf-validate-shacl, a full SHACL Core engine.
//
//   node validate.mjs --shapes shapes.ttl --shapes range.ttl \
//        [--recommended shapes_recommended.ttl] [--json] data.ttl data.jsonld ...
//
// For each data file it prints one line per result of the required shapes
// ("violation" for sh:Violation, "warning"/"info" for lower severities) and,
// separately, one line per result of the recommended shapes ("recommended").
// With --json it prints one JSON object instead:
//   {"files":[{"file","violations":[...],"warnings":[...],"recommended":[...]}]}
// Exit status: 0 when no file has a violation, 1 when one has, 2 on a
// usage, reading or parsing error.

import { readFile } from 'node:fs/promises'
import { Parser, Store } from 'n3'
import jsonld from 'jsonld'
import SHACLValidator from 'rdf-validate-shacl'

const SH = 'http://www.w3.org/ns/shacl#'

function usage (msg) {
  console.error(`validate.mjs: ${msg}
usage: node validate.mjs --shapes FILE [--shapes FILE ...] [--recommended FILE ...] [--json] DATA...`)
  process.exit(2)
}

function parseArgs (argv) {
  const args = { shapes: [], recommended: [], data: [], json: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--shapes' || a === '--recommended') {
      if (i + 1 >= argv.length) usage(`${a} needs a file`)
      args[a.slice(2)].push(argv[++i])
    } else if (a === '--json') {
      args.json = true
    } else if (a.startsWith('--')) {
      usage(`unknown option ${a}`)
    } else {
      args.data.push(a)
    }
  }
  if (args.shapes.length === 0) usage('no --shapes')
  if (args.data.length === 0) usage('no data file')
  return args
}

// load parses a file into quads: JSON-LD by its extension (.jsonld, .json),
// Turtle otherwise. JSON-LD contexts must be inline: nothing is fetched.
async function load (file) {
  const text = await readFile(file, 'utf8')
  if (/\.(jsonld|json)$/i.test(file)) {
    const noRemote = (url) => { throw new Error(`remote context ${url} not loaded`) }
    const nquads = await jsonld.toRDF(JSON.parse(text), { format: 'application/n-quads', documentLoader: noRemote })
    return new Parser({ format: 'application/n-quads' }).parse(nquads)
  }
  return new Parser({ format: 'text/turtle', baseIRI: 'file://' + file }).parse(text)
}

async function loadAll (files) {
  const store = new Store()
  for (const f of files) store.addQuads(await load(f))
  return store
}

function term (t) {
  if (!t) return ''
  if (t.termType === 'Literal') return JSON.stringify(t.value)
  if (t.termType === 'BlankNode') return '_:' + t.value
  return t.value
}

function describe (r) {
  return {
    severity: r.severity ? r.severity.value.replace(SH, '') : '',
    focusNode: term(r.focusNode),
    path: term(r.path),
    value: term(r.value),
    constraint: term(r.sourceConstraintComponent).replace(SH, 'sh:'),
    shape: term(r.sourceShape),
    message: r.message.map((m) => m.value).join('; ')
  }
}

async function validate (validator, data) {
  if (!validator) return []
  const report = await validator.validate(data)
  return report.results.map(describe)
}

const args = parseArgs(process.argv.slice(2))
let required, recommended
try {
  required = new SHACLValidator(await loadAll(args.shapes))
  if (args.recommended.length) recommended = new SHACLValidator(await loadAll(args.recommended))
} catch (e) {
  console.error(`validate.mjs: shapes: ${e.message}`)
  process.exit(2)
}

const out = []
for (const file of args.data) {
  let data
  try {
    data = await loadAll([file])
  } catch (e) {
    console.error(`validate.mjs: ${file}: ${e.message}`)
    process.exit(2)
  }
  const results = await validate(required, data)
  out.push({
    file,
    violations: results.filter((r) => r.severity === 'Violation'),
    warnings: results.filter((r) => r.severity !== 'Violation'),
    recommended: await validate(recommended, data)
  })
}

if (args.json) {
  console.log(JSON.stringify({ files: out }, null, 2))
} else {
  for (const f of out) {
    const line = (kind, r) => console.log(`${f.file}: ${kind}: ${r.focusNode} ${r.path} ${r.value} ${r.constraint}: ${r.message}`)
    f.violations.forEach((r) => line('violation', r))
    f.warnings.forEach((r) => line(r.severity.toLowerCase(), r))
    f.recommended.forEach((r) => line('recommended', r))
    console.log(`${f.file}: ${f.violations.length} violations, ${f.warnings.length} other results, ${f.recommended.length} recommended-shape results`)
  }
}
// exitCode, not exit(): exit() would cut a long report written to a pipe.
process.exitCode = out.some((f) => f.violations.length > 0) ? 1 : 0
