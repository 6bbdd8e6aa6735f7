#!/usr/bin/env node
import { runWithSuite } from './suite-bin.js';

await runWithSuite('thyme', 'thyme-bench');
