#!/usr/bin/env bash
# A scheduled job (cron, or one task of an Airflow DAG): refresh the cadence analysis
# from the config under version control, then decide whether the production model must
# be retrained now. Run from the folder holding cadence.toml and the history file.
#
#   MODEL_TRAINED_AT  end of the production model's training data (required)
#   NOW               the time to judge at (default: now)
#   REFRESH_DAYS      rerun the analysis when its report is older than this (default 30)
#
# Exit status: 0 the model is fine, 1 a retraining was requested, 2 bad input.
set -euo pipefail

: "${MODEL_TRAINED_AT:?set MODEL_TRAINED_AT to the end of the training data of the model}"

# 1. The analysis, refreshed monthly (plenty: the cadence changes slowly, the decision is
#    daily): the flat JSON record for the logs, the exact recommendation in
#    cadence-report/recommendation.json.
refresh="${REFRESH_DAYS:-30}"
if [ -z "$(find cadence-report/recommendation.json -mtime -"$refresh" 2>/dev/null)" ]; then
  oot analyze --config cadence.toml --json > analysis.json
  echo "analysis: $(python3 -c 'import json,sys; print(json.load(sys.stdin)["sentence"])' < analysis.json)"
else
  echo "analysis: kept (cadence-report is less than $refresh days old)"
fi

# 2. The decision: oot due exits 0 (fine), 1 (retrain), 2 (bad input).
set +e
oot due cadence-report --trained-at "$MODEL_TRAINED_AT" ${NOW:+--now "$NOW"} > due.json
status=$?
set -e
case "$status" in
  0) echo "model fine: $(cat due.json)" ;;
  1) echo "retraining due: $(cat due.json)"
     # trigger your training job here; this example records the request
     echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) retrain requested" >> retrain-requests.log ;;
  *) echo "oot due failed: $(cat due.json)" >&2
     exit 2 ;;
esac
exit "$status"
