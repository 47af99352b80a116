#!/bin/sh
cat /etc/jq-policy.txt
