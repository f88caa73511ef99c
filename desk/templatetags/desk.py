from django import template

from desk import display

register = template.Library()

# The workbench words a deadline as the queue's rows do (desk.display).
register.simple_tag(display.sla_countdown)
