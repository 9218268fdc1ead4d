// The W5 split's own process: the built code under plain node, as the relay runs it (the runner
// runs under tsx, whose loader would slow the very code being timed).
import { serve } from './ipc.js'
import { timeSplit, type SplitRequest } from './split.js'

process.on('disconnect', () => process.exit(0))

serve<SplitRequest>({}, timeSplit)
