#!/usr/bin/env node
import { runWithSuite } from './suite-bin.js';

await runWithSuite('koorde', 'koorde-bench');
