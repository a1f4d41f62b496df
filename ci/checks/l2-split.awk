# awk -v dir=DIR -f l2-split.awk LOG: take apart what the KVM leg's level-1
# guest sends on its second serial port (bench/l1-init.sh): each file of
# level 2's run after a "==== L2 FILE" line, until "==== L2-END".  Level
# 2's own "==== END" and "==== DONE" lines are content.  The serial line
# ends lines with CR LF.
{ sub(/\r$/, "") }
/^==== L2 [a-z.]+$/ { f = dir "/" $3; printf "" >f; next }
/^==== L2-END$/ { f = ""; next }
f { print >f }
